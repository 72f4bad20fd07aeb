namespace Cabal.Chat.Messages;

/// <summary>
/// Size limits applied when reading entries. cabal-core has none (spec §4.10); these only stop a
/// hostile peer from bloating the views, and are far above anything a person types. An entry over
/// a limit is skipped and counted as <see cref="SkipReason.Oversized"/>.
/// </summary>
public sealed record ChatLimits
{
    /// <summary>Largest block parsed at all. Default 1 MiB.</summary>
    public int MaxBlockBytes { get; init; } = 1 << 20;

    /// <summary>Longest channel name (UTF-16 code units). Default 1,000.</summary>
    public int MaxChannelLength { get; init; } = 1000;

    /// <summary>Longest message or topic text (UTF-16 code units). Default 256 Ki.</summary>
    public int MaxTextLength { get; init; } = 256 * 1024;

    /// <summary>Longest nickname (UTF-16 code units). Default 1,000.</summary>
    public int MaxNameLength { get; init; } = 1000;

    /// <summary>Most flags in one flags/* entry. Default 64.</summary>
    public int MaxFlags { get; init; } = 64;
}
