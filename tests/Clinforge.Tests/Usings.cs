namespace Clinforge.Tests;
