using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>The executor contract under its earlier name, kept so that existing trial runners compile unchanged.</summary>
public interface ITrialRunner : IExecutor;
