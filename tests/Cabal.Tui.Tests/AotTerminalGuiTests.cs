using System.Reflection;
using System.Reflection.Emit;
using System.Xml.Linq;
using Cabal.Cli.Tui;
using Cabal.Tests;
using Terminal.Gui.Configuration;

namespace Cabal.Tui.Tests;

/// <summary>
/// The Native AOT publish stubs Terminal.Gui's module initializer (TerminalGui.Substitutions.xml) and
/// the client applies the configuration itself (TuiConfiguration). These check that the stub still names
/// the initializer this Terminal.Gui has, and that the initializer still does only what
/// TuiConfiguration.EnsureApplied does instead: an upgrade that changes it fails here, not in the field.
/// </summary>
public sealed class AotTerminalGuiTests
{
    private static string CliDir => Path.Combine(TestPaths.RepoRoot, "src", "Chat", "Cabal.Cli");

    [Fact]
    public void The_substitution_names_Terminal_Guis_module_initializer()
    {
        var (type, method) = Stubbed();
        var initializer = typeof(TuiConfigurationBuilder).Assembly.GetType(type);
        Assert.NotNull(initializer);
        var m = initializer.GetMethod(method, BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic, []);
        Assert.NotNull(m);
        Assert.Equal(typeof(void), m.ReturnType);
        Assert.Contains(m.CustomAttributes, a => a.AttributeType.Name == "ModuleInitializerAttribute");
    }

    [Fact]
    public void The_stubbed_initializer_only_applies_the_shared_configuration_as_EnsureApplied_does()
    {
        var (type, method) = Stubbed();
        var m = typeof(TuiConfigurationBuilder).Assembly.GetType(type)!.GetMethod(method, BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic, [])!;
        var calledInTerminalGui = CalledMethods(m).Where(c => c.DeclaringType?.Assembly == typeof(TuiConfigurationBuilder).Assembly)
            .Select(c => $"{c.DeclaringType!.Name}.{c.Name}").ToHashSet();
        string[] expected = ["TuiConfigurationBuilder.get_Shared", "TuiConfigurationBuilder.ApplyToStaticFacades", "TuiJsonErrors.Add"];
        Assert.True(calledInTerminalGui.SetEquals(expected), "the initializer now calls " + string.Join(", ", calledInTerminalGui));
    }

    [Fact]
    public void The_program_passes_the_substitution_to_the_AOT_compiler_only()
    {
        var project = XDocument.Load(Path.Combine(CliDir, "Cabal.Cli.csproj"));
        var arg = Assert.Single(project.Descendants("IlcArg"));
        Assert.Equal("--substitution:$(MSBuildThisFileDirectory)TerminalGui.Substitutions.xml", arg.Attribute("Include")?.Value);
        Assert.Contains("PublishAot", arg.Parent!.Attribute("Condition")?.Value);
    }

    [Fact]
    public void EnsureApplied_is_harmless_where_the_initializer_ran()
    {
        // Under the JIT (these tests) the initializer was not stubbed: applying again is skipped, twice.
        Assert.True(System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported);
        TuiConfiguration.EnsureApplied();
        TuiConfiguration.EnsureApplied();
    }

    private static (string Type, string Method) Stubbed()
    {
        var doc = XDocument.Load(Path.Combine(CliDir, "TerminalGui.Substitutions.xml"));
        var assembly = Assert.Single(doc.Root!.Elements("assembly"));
        Assert.Equal("Terminal.Gui", assembly.Attribute("fullname")?.Value);
        var type = Assert.Single(assembly.Elements("type"));
        var method = Assert.Single(type.Elements("method"));
        Assert.Equal("stub", method.Attribute("body")?.Value);
        var signature = method.Attribute("signature")!.Value; // "System.Void Name()"
        Assert.StartsWith("System.Void ", signature);
        Assert.EndsWith("()", signature);
        return (type.Attribute("fullname")!.Value, signature["System.Void ".Length..^2]);
    }

    /// <summary>Every method a method's IL calls (call, callvirt, newobj), decoded opcode by opcode.</summary>
    private static List<MethodBase> CalledMethods(MethodInfo m)
    {
        var opcodes = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);
        var il = m.GetMethodBody()!.GetILAsByteArray()!;
        var called = new List<MethodBase>();
        for (var i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            var op = opcodes[value];
            i += op.Size;
            if (op == OpCodes.Call || op == OpCodes.Callvirt || op == OpCodes.Newobj)
                called.Add(m.Module.ResolveMethod(BitConverter.ToInt32(il, i))!);
            i += op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
        }
        return called;
    }
}
