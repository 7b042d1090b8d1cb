using Clinforge.Cli;

// The clinforge command: a thin shell over the rooms (ClinforgeCommandLine declares the commands).
// Every failure ends here (CliBoundary): a clear message and an exit code, never a stack trace.
return CliBoundary.Run(() => ClinforgeCommandLine.Run(args));
