namespace Cabal.Cli;

/// <summary>Exit codes of the `cabal` program (sysexits-style where one fits).</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>A runtime failure: storage, network or an unexpected error.</summary>
    public const int Error = 1;
    /// <summary>The goal was not reached before --timeout (e.g. not enough acks, not in sync).</summary>
    public const int Timeout = 2;
    /// <summary>Done, but part of the input was skipped (an import's damaged feeds); the output says which and why.</summary>
    public const int Incomplete = 3;
    /// <summary>Something else holds what the command needs (a running JS client on the store to import, a running node on the data directory); try again once it is closed.</summary>
    public const int Busy = 75;
    /// <summary>Bad command line: unknown option, missing or malformed argument.</summary>
    public const int Usage = 64;
    /// <summary>A key or cabal URL that does not parse.</summary>
    public const int BadKey = 65;
    /// <summary>Interrupted by SIGINT or SIGTERM after a clean shutdown.</summary>
    public const int Interrupted = 130;
}
