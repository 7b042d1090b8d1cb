using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>Proposes the next recipe change (ML.NET AutoML-style contract).</summary>
public interface IProposer
{
    /// <summary>The next proposal, or null when nothing sensible is left to try.</summary>
    Proposal? Propose(DevelopmentState state);
}
