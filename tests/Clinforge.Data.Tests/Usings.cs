global using Clinforge.Core;
global using Xunit;
global using Xunit.Abstractions;
