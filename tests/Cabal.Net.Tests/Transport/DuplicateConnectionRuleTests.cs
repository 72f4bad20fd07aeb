using Cabal.Net.Transport;

namespace Cabal.Net.Tests.Transport;

public sealed class DuplicateConnectionRuleTests
{
    private static readonly byte[] Small = [1, 2, 3];
    private static readonly byte[] Large = [9, 2, 3];
    private static readonly byte[] HashA = [5];
    private static readonly byte[] HashB = [6];

    [Fact]
    public void BothEndsKeepTheConnectionInitiatedByTheSmallerKey()
    {
        // Side "Small" sees its own dial (initiator) and the remote's dial (responder).
        var smallSideReplacesOwnDial = DuplicateConnectionRule.PreferCandidate(Small, Large, existingIsInitiator: true, HashA, candidateIsInitiator: false, HashB);
        var smallSideReplacesRemoteDial = DuplicateConnectionRule.PreferCandidate(Small, Large, existingIsInitiator: false, HashB, candidateIsInitiator: true, HashA);
        Assert.False(smallSideReplacesOwnDial);
        Assert.True(smallSideReplacesRemoteDial);

        // Side "Large" must agree: keep the connection Small initiated (its responder connection).
        var largeSideReplacesOwnDial = DuplicateConnectionRule.PreferCandidate(Large, Small, existingIsInitiator: true, HashB, candidateIsInitiator: false, HashA);
        var largeSideReplacesRemoteDial = DuplicateConnectionRule.PreferCandidate(Large, Small, existingIsInitiator: false, HashA, candidateIsInitiator: true, HashB);
        Assert.True(largeSideReplacesOwnDial);
        Assert.False(largeSideReplacesRemoteDial);
    }

    [Fact]
    public void SameInitiatorFallsBackToTheHandshakeHashOnBothEnds()
    {
        // Two dials from Small: the dialler and the acceptor compare the same hashes and agree.
        Assert.True(DuplicateConnectionRule.PreferCandidate(Small, Large, true, HashB, true, HashA));
        Assert.True(DuplicateConnectionRule.PreferCandidate(Large, Small, false, HashB, false, HashA));
        Assert.False(DuplicateConnectionRule.PreferCandidate(Small, Large, true, HashA, true, HashB));
        Assert.False(DuplicateConnectionRule.PreferCandidate(Large, Small, false, HashA, false, HashB));
    }
}
