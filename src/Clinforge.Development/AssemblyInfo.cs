namespace Clinforge.Development;
