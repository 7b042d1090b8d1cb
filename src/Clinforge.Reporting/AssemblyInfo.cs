namespace Clinforge.Reporting;
