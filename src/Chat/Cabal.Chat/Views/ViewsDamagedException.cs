namespace Cabal.Chat.Views;

/// <summary>
/// The views database failed a check: a record whose checksum does not match its key and value, an
/// LMDB corruption code, or a record that does not parse. The views are derived from the feeds, so
/// CabalCore rebuilds them and answers again; this escapes only when the rebuild
/// itself fails (the disk keeps damaging what is written, for example).
/// </summary>
public sealed class ViewsDamagedException(string detail) : Exception("The views are damaged: " + detail)
{
    /// <summary>What failed, e.g. "a record of table 'messages' fails its checksum".</summary>
    public string Detail { get; } = detail;
}
