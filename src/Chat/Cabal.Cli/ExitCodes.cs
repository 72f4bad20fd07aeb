namespace Cabal.Cli;

/// <summary>Exit codes of the `cabal` program (sysexits-style where one fits); listed in README.md.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>A runtime failure not covered below (an unexpected error).</summary>
    public const int Error = 1;
    /// <summary>
    /// The goal was not reached: no peer was reached, not in sync before --timeout, not enough acks.
    /// What was reached is printed on stderr.
    /// </summary>
    public const int Timeout = 2;
    /// <summary>Done, but part of the input was skipped (an import's damaged feeds); the output says which and why.</summary>
    public const int Incomplete = 3;
    /// <summary>Bad command line: unknown option, missing or malformed argument, a port out of range.</summary>
    public const int Usage = 64;
    /// <summary>A key or cabal URL that does not parse, or a cabal this data directory has never seen (without --join).</summary>
    public const int BadKey = 65;
    /// <summary>The network refused: the --listen port is in use, binding is not permitted, or the address is not available.</summary>
    public const int Unavailable = 69;
    /// <summary>The data directory cannot be used: it is a file, read-only, or not permitted.</summary>
    public const int CantCreate = 73;
    /// <summary>Storage failed: the disk is full, or the store is corrupt.</summary>
    public const int IoError = 74;
    /// <summary>
    /// Something else holds what the command needs: another process holds the data directory and could
    /// not take the command (its pid is named), a running cabal-cli holds the storage to import, or a
    /// node has the data directory open during an import. Try again once it is closed.
    /// </summary>
    public const int Busy = 75;
    /// <summary>Interrupted by SIGINT or SIGTERM after a clean shutdown.</summary>
    public const int Interrupted = 130;
}
