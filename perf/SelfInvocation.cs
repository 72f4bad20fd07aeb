namespace Cabal.Perf;

/// <summary>How to start this same program again as a fresh child process.</summary>
internal static class SelfInvocation
{
    public static (string FileName, string[] Args) For(params string[] args)
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell which executable is running.");
        // Under `dotnet exec`/`dotnet test` the process is the shared host, which needs the dll;
        // under `dotnet run` it is the app host, which finds the dll itself.
        if (Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            return (process, ["exec", typeof(SelfInvocation).Assembly.Location, .. args]);
        return (process, args);
    }
}
