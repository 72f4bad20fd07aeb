namespace Cabal.Multifeed.Legacy;

/// <summary>Why a hypercore 9 feed directory (or a whole store) cannot be taken as it is.</summary>
public enum LegacyProblemKind
{
    /// <summary>No readable <c>key</c> file: nothing can be verified (hypercore itself would discard the data).</summary>
    MissingKey,

    /// <summary>A file is shorter than its header, or a record is cut off.</summary>
    Truncated,

    /// <summary>A SLEEP header is not what hypercore 9 writes (magic, type, version, sizes, algorithm).</summary>
    BadHeader,

    /// <summary>The bitfield names tree nodes the tree file lacks, or holds bits no feed could have.</summary>
    BadBitfield,

    /// <summary>A tree node does not hash to its parent, or a root the length needs is missing.</summary>
    BadTree,

    /// <summary>The signature over the roots does not verify, or no signature covers the stored blocks.</summary>
    BadSignature,

    /// <summary>A block's bytes do not hash to its leaf, or lie past the end of the data file.</summary>
    BadData,

    /// <summary>A file could not be read (permissions, I/O error).</summary>
    Unreadable,

    /// <summary>A process still has the store open (see <see cref="Internal.StoreLockProbe"/>).</summary>
    Locked,

    /// <summary>The cabal key is unknown (not given, and the directory is not named by it).</summary>
    UnknownCabalKey,

    /// <summary>Our store already holds this feed with different content (a fork), or under another cabal.</summary>
    Conflict,

    /// <summary>The local identity could not be handed over (see the importer's identity seam).</summary>
    Identity,
}

/// <summary>A problem with a reason a person can act on; <see cref="Slot"/> names the feed directory, if any.</summary>
public sealed record LegacyProblem(LegacyProblemKind Kind, string Reason, string? Slot = null)
{
    public override string ToString() => Slot is null ? $"{Kind}: {Reason}" : $"feed {Slot}: {Kind}: {Reason}";
}
