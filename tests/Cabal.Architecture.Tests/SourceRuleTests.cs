// git-grep-level rules over the sources. Comments are left out of the search; a rule's match in a
// string literal still counts, which keeps the rules simple and has never been needed otherwise.
using System.Text.RegularExpressions;

namespace Cabal.Architecture.Tests;

public sealed partial class SourceRuleTests
{
    [GeneratedRegex(@"//.*$", RegexOptions.Multiline)]
    private static partial Regex LineComment();

    [GeneratedRegex(@"^namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    private static IEnumerable<(string File, int Line, string Text)> Matches(IEnumerable<string> files, Regex rule)
    {
        foreach (var file in files)
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var code = LineComment().Replace(lines[i], "");
                if (rule.IsMatch(code)) yield return (Assemblies.Relative(file), i + 1, lines[i].Trim());
            }
        }
    }

    private static void AssertNone(IEnumerable<(string File, int Line, string Text)> found, string rule)
    {
        var list = found.ToList();
        Assert.True(list.Count == 0, rule + ":\n" + string.Join("\n", list.Select(f => $"{f.File}:{f.Line}: {f.Text}")));
    }

    private static IEnumerable<string> Library() => Assemblies.Sources.Where(s => s.Library).SelectMany(s => Assemblies.SourceFiles(s.Dir));

    private static IEnumerable<string> AllSources() => Assemblies.Sources.SelectMany(s => Assemblies.SourceFiles(s.Dir));

    [GeneratedRegex(@"\bConsole\s*\.")]
    private static partial Regex ConsoleUse();

    [Fact]
    public void Libraries_do_not_touch_the_console() => AssertNone(Matches(Library(), ConsoleUse()), "Console in a library (the program owns the console)");

    [GeneratedRegex(@"\bGetEnvironmentVariables?\s*\(")]
    private static partial Regex EnvironmentUse();

    [Fact]
    public void Only_the_program_reads_the_environment()
        => AssertNone(Matches(Library(), EnvironmentUse()), "Environment variables read outside the program (src/Chat/Cabal.Cli/ProgramEnvironment.cs reads them)");

    [GeneratedRegex(@"\.Log(Trace|Debug|Information|Warning|Error|Critical)?\s*\(|LoggerMessage\s*\.\s*Define")]
    private static partial Regex DirectLogCall();

    [Fact]
    public void Every_log_call_goes_through_LoggerMessage()
        => AssertNone(Matches(AllSources(), DirectLogCall()), "Log call not through a [LoggerMessage] method (see docs/logging.md)");

    [GeneratedRegex(@"CreateLogger\s*\(\s*""")]
    private static partial Regex StringCategory();

    [Fact]
    public void Logger_categories_come_from_types()
        => AssertNone(Matches(AllSources(), StringCategory()), "Logger category given as a string (use CreateLogger<T>())");

    // Folders whose files keep their parent's namespace for now. HyperDht/Connections is used by the
    // swarm work being written on another branch as Cabal.Net.HyperDht; its owner moves it.
    private static readonly string[] FolderExceptions = ["src/Net/HyperDht/Connections"];

    [Fact]
    public void Folders_match_namespaces()
    {
        var wrong = new List<string>();
        foreach (var (dir, root, _) in Assemblies.Sources)
        {
            var baseDir = Path.Combine(Cabal.Tests.TestPaths.RepoRoot, dir);
            foreach (var file in Assemblies.SourceFiles(dir))
            {
                var folder = Path.GetDirectoryName(Path.GetRelativePath(baseDir, file))!;
                var expected = folder.Length == 0 ? root : root + "." + folder.Replace(Path.DirectorySeparatorChar, '.');
                var declared = Namespace().Match(File.ReadAllText(file)) is { Success: true } m ? m.Groups[1].Value : "(none)";
                if (declared != expected && !FolderExceptions.Contains(Path.GetDirectoryName(Assemblies.Relative(file))!.Replace('\\', '/')))
                    wrong.Add($"{Assemblies.Relative(file)}: namespace {declared}, folder says {expected}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [GeneratedRegex(@"\bLock\s+(\w+)\s*(=|\{|;)")]
    private static partial Regex LockDeclaration();

    [GeneratedRegex(@"\bobject\s+(\w+)\s*(=|\{|;)")]
    private static partial Regex ObjectDeclaration();

    [GeneratedRegex(@"\block\s*\(\s*([^)]*?)\s*\)")]
    private static partial Regex LockStatement();

    [Fact]
    public void Every_lock_is_a_dedicated_Lock()
    {
        // One idiom: lock a private System.Threading.Lock made for it, never `this`, a type, a
        // collection or anything a caller could lock too.
        var wrong = new List<string>();
        foreach (var (dir, _, _) in Assemblies.Sources)
        {
            var files = Assemblies.SourceFiles(dir).ToList();
            var locks = files.SelectMany(f => LockDeclaration().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);
            var objects = files.SelectMany(f => ObjectDeclaration().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);
            foreach (var (file, line, text) in Matches(files, LockStatement()))
            {
                var target = LockStatement().Match(LineComment().Replace(text, "")).Groups[1].Value;
                var name = target[(target.LastIndexOf('.') + 1)..];
                if (!locks.Contains(name) || objects.Contains(name)) wrong.Add($"{file}:{line}: lock ({target})");
            }
        }
        Assert.True(wrong.Count == 0, "Locks on something other than a dedicated Lock:\n" + string.Join("\n", wrong));
    }
}
