namespace Cabal.Chat;

/// <summary>A user known from any well-formed entry; <see cref="Name"/> from their latest about.</summary>
public sealed record UserInfo(string Key, string? Name)
{
    /// <summary>The name, or the first 8 hex characters of the key (cabal-client's rule).</summary>
    public string DisplayName => string.IsNullOrEmpty(Name) ? Key[..8] : Name;
}

/// <summary>Counts of the indexer (since this core was opened, except where noted).</summary>
public sealed record IndexStatistics(long EntriesIndexed, long Malformed, long MalformedTotal, long Commits, long Pending, int Feeds);
