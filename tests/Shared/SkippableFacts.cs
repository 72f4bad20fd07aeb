// Facts that cannot run everywhere. When what they need is missing they are reported as skipped,
// with the reason, so the closing line counts them as skipped and never as passed. The condition is
// decided when the tests are discovered (xunit 2 has no skip from inside a running test).
namespace Cabal.Tests;

/// <summary>A fact that needs Linux (/proc, per-thread nice values); elsewhere it is skipped.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "needs Linux";
    }
}

/// <summary>A fact that needs programs on the PATH (tmux, bash…); without one of them it is skipped.</summary>
public sealed class FactNeedsToolsAttribute : FactAttribute
{
    public FactNeedsToolsAttribute(params string[] tools)
    {
        var missing = tools.Where(t => !OnPath(t)).ToList();
        if (missing.Count > 0) Skip = $"needs {string.Join(" and ", missing)} on the PATH";
    }

    public static bool OnPath(string tool)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, tool)));
}
