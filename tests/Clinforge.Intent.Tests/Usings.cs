global using Clinforge.Core;
global using Clinforge.Intent;
global using Xunit;
