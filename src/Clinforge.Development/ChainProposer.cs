using Clinforge.Core;

namespace Clinforge.Development;

/// <summary>Asks the first proposer, then the second when the first has nothing left (debiasing moves before the general playbook).</summary>
public sealed class ChainProposer(IProposer first, IProposer then) : IProposer
{
    /// <inheritdoc />
    public Proposal? Propose(DevelopmentState state) => first.Propose(state) ?? then.Propose(state);
}
