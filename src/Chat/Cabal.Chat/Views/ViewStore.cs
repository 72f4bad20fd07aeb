// The views of one cabal in their own LMDB environment (<data>/views). Every table is written only
// by the indexer (and once by the moderation bootstrap), in transactions that also advance the
// per-feed cursors, so the views and the cursors can never disagree after a crash.
using Cabal.Multifeed.Storage;
using LightningDB;

namespace Cabal.Chat.Views;

internal sealed class ViewStore : IDisposable
{
    /// <summary>
    /// Bumped when a table layout changes; a mismatch wipes the views and re-indexes.
    /// 2: every value carries a CRC-32C of its key and value (Lmdb.cs).
    /// </summary>
    public const int LayoutVersion = 2;

    private readonly LightningEnvironment _env;
    private readonly LmdbReadGate _reads = new();

    public LightningDatabase Meta { get; }
    public LightningDatabase Cursors { get; }      // feed key(32) → u64 indexed prefix
    public LightningDatabase ChannelNames { get; } // channel(16) → UTF-8 name (any channel or group ever referenced)
    public LightningDatabase Channels { get; }     // channel(16) → ""  (created by a chat/* entry)
    public LightningDatabase Messages { get; }     // channel(16) ts author seq → block bytes
    public LightningDatabase Topics { get; }       // channel(16) → ts author seq || UTF-8 text
    public LightningDatabase Members { get; }      // channel(16) user(32) → ""
    public LightningDatabase MemberOf { get; }     // user(32) channel(16) → ""
    public LightningDatabase Users { get; }        // user(32) → "" (known) or about content JSON
    public LightningDatabase Archives { get; }     // channel(16) author(32) → action(1) seq(8) reason
    public LightningDatabase Auth { get; }         // group(16) user(32) → provenance + flags
    public LightningDatabase ModLog { get; }       // author(32) seq(8) → ""
    public LightningDatabase Private { get; }      // peer(32) ts author seq → plaintext JSON
    public LightningDatabase PrivatePeers { get; } // peer(32) → ""

    public string Path { get; }

    /// <summary>Where a cabal's views live unless told otherwise: &lt;feed store&gt;/views/&lt;cabal key&gt;.</summary>
    public static string DefaultPath(string storePath, string cabalKeyHex) => System.IO.Path.Combine(storePath, "views", cabalKeyHex);

    public ViewStore(string path, long mapSize, bool durable)
    {
        Path = path;
        LmdbNative.EnsureResolver();
        Directory.CreateDirectory(path);
        _env = new LightningEnvironment(path, new EnvironmentConfiguration { MapSize = mapSize, MaxDatabases = 20, MaxReaders = 256 });
        var flags = EnvironmentOpenFlags.NoThreadLocalStorage;
        if (!durable) flags |= EnvironmentOpenFlags.NoSync;
        _env.Open(flags);

        using var tx = _env.BeginTransaction();
        var create = new DatabaseConfiguration { Flags = DatabaseOpenFlags.Create };
        Meta = tx.OpenDatabase("meta", create);
        Cursors = tx.OpenDatabase("cursors", create);
        ChannelNames = tx.OpenDatabase("chnames", create);
        Channels = tx.OpenDatabase("channels", create);
        Messages = tx.OpenDatabase("messages", create);
        Topics = tx.OpenDatabase("topics", create);
        Members = tx.OpenDatabase("members", create);
        MemberOf = tx.OpenDatabase("memberof", create);
        Users = tx.OpenDatabase("users", create);
        Archives = tx.OpenDatabase("archives", create);
        Auth = tx.OpenDatabase("auth", create);
        ModLog = tx.OpenDatabase("modlog", create);
        Private = tx.OpenDatabase("pms", create);
        PrivatePeers = tx.OpenDatabase("pmpeers", create);

        // The one record without a checksum (it says whether records have one); a damaged layout
        // reads as a mismatch, which wipes and re-indexes, the safe outcome.
        var (rc, _, v) = tx.Get(Meta, "layout"u8);
        var stored = rc == MDBResultCode.Success && v.AsSpan().Length == 4 ? BitConverter.ToInt32(v.AsSpan()) : -1;
        if (stored != LayoutVersion)
        {
            // A different layout (or a fresh directory): drop every table, keep nothing but the identity.
            foreach (var db in AllViewTables()) tx.TruncateDatabase(db).ThrowOnError();
            tx.Put(Meta, "layout"u8, BitConverter.GetBytes(LayoutVersion)).ThrowOnError();
            WasReset = stored != -1;
        }
        tx.Commit().ThrowOnError();
    }

    /// <summary>True when an older layout was found and wiped at open.</summary>
    public bool WasReset { get; }

    /// <summary>Empties every view table and cursor (in <paramref name="tx"/>), so indexing starts again from the feeds. Meta is kept.</summary>
    public void Clear(LightningTransaction tx)
    {
        foreach (var db in AllViewTables()) tx.TruncateDatabase(db).ThrowOnError();
        var rc = tx.Delete(Meta, "malformed"u8);
        if (rc is not (MDBResultCode.Success or MDBResultCode.NotFound)) rc.ThrowOnError();
    }

    /// <summary>
    /// Empties every table, Meta included (the copy of the identity and the counters are rewritten by
    /// the caller), for views found damaged: nothing in them can be trusted.
    /// </summary>
    public void ClearAll(LightningTransaction tx)
    {
        foreach (var db in AllViewTables()) tx.TruncateDatabase(db).ThrowOnError();
        tx.TruncateDatabase(Meta).ThrowOnError();
        tx.Put(Meta, "layout"u8, BitConverter.GetBytes(LayoutVersion)).ThrowOnError();
    }

    private IEnumerable<LightningDatabase> AllViewTables() =>
        [Cursors, ChannelNames, Channels, Messages, Topics, Members, MemberOf, Users, Archives, Auth, ModLog, Private, PrivatePeers];

    public LightningTransaction BeginWrite() => _env.BeginTransaction();

    /// <summary>A read transaction that <see cref="Dispose"/> waits for (see <see cref="LmdbReadGate"/>).</summary>
    public GatedRead BeginRead() => _reads.BeginRead(_env, this);

    /// <summary>Closes the environment once the reads in flight have ended; if they outlive the limit it stays mapped.</summary>
    public void Dispose()
    {
        if (_reads.Close(LmdbReadGate.DefaultDrainLimit)) _env.Dispose();
    }
}
