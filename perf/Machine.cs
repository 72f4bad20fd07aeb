using System.Globalization;
using System.Runtime.InteropServices;

namespace Cabal.Perf;

/// <summary>What the numbers were measured on. Load averages tell a quiet machine from a busy one.</summary>
internal sealed record MachineInfo(
    int Cores, long RamMb, string Cpu, string Os, string Kernel, string DotNet, string? Node,
    double[] LoadAverageAtStart, double[]? LoadAverageAtEnd)
{
    /// <summary>Busy if the 1-minute load average was above a third of the cores at either end of the run.</summary>
    public bool LooksBusy => new[] { LoadAverageAtStart, LoadAverageAtEnd }
        .Any(l => l is { Length: > 0 } && l[0] > Cores / 3.0);
}

internal static class Machine
{
    public static MachineInfo Describe(string? nodeVersion) => new(
        Environment.ProcessorCount,
        MemTotalMb(),
        CpuModel(),
        OsName(),
        Kernel(),
        RuntimeInformation.FrameworkDescription,
        nodeVersion,
        LoadAverage(),
        null);

    public static double[] LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(3)
                .Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return [];
        }
    }

    private static long MemTotalMb()
    {
        var kb = ProcField("/proc/meminfo", "MemTotal:");
        return kb is { } v && long.TryParse(v.Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture, out var n)
            ? n / 1024
            : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes >> 20;
    }

    private static string CpuModel() => ProcField("/proc/cpuinfo", "model name") is { } m ? m.TrimStart(':', ' ', '\t') : RuntimeInformation.ProcessArchitecture.ToString();

    private static string OsName()
    {
        var pretty = ProcField("/etc/os-release", "PRETTY_NAME=");
        return pretty is null ? RuntimeInformation.OSDescription : pretty.Trim('"');
    }

    private static string Kernel()
    {
        try { return "Linux " + File.ReadAllText("/proc/sys/kernel/osrelease").Trim() + " " + RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return RuntimeInformation.OSDescription; }
    }

    private static string? ProcField(string file, string prefix)
    {
        try
        {
            return File.ReadLines(file).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
