// --max-feeds, --max-store and --lockdown (issue 20): per-cabal feed admission for `cabal seed` and
// the terminal client, parsed while the command line is (a bad value is a usage error before
// anything is opened).
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Cabal.Chat.Node;

namespace Cabal.Cli;

internal sealed class FeedLimitOptions
{
    private static readonly FeedLimits Defaults = new();

    public Option<int?> MaxFeeds { get; } = new("--max-feeds")
    {
        Description = $"Most feeds with data per cabal; past it only moderators' and vouched users' new feeds are taken (default {Defaults.MaxFeeds:N0})",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : null;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1) return n;
            result.AddError($"--max-feeds {text}: need a whole number of at least 1.");
            return null;
        },
    };

    public Option<long?> MaxStore { get; } = new("--max-store")
    {
        Description = $"Bytes of feed data per cabal (e.g. 500MB, 2GiB); past it only moderators' and vouched users' new feeds are taken (default {Defaults.MaxStoreBytes >> 30} GiB)",
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : null;
            if (TryParseSize(text, out var bytes)) return bytes;
            result.AddError($"--max-store {text}: need a size such as 500MB or 2GiB.");
            return null;
        },
    };

    public Option<bool> Lockdown { get; } = new("--lockdown") { Description = "Take new feeds only from users an admin or moderator vouches for" };

    public void AddTo(Command command, bool lockdown)
    {
        command.Options.Add(MaxFeeds);
        command.Options.Add(MaxStore);
        if (lockdown) command.Options.Add(Lockdown);
    }

    public FeedLimits Read(ParseResult parse) => new()
    {
        MaxFeeds = parse.GetValue(MaxFeeds) ?? Defaults.MaxFeeds,
        MaxStoreBytes = parse.GetValue(MaxStore) ?? Defaults.MaxStoreBytes,
        Lockdown = parse.GetValue(Lockdown),
    };

    /// <summary>A byte count: digits, optionally a fraction, then B, KB/MB/GB/TB (powers of 1000) or KiB/MiB/GiB/TiB (of 1024); case ignored.</summary>
    public static bool TryParseSize(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text.Trim();
        var i = 0;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
        if (i == 0 || !decimal.TryParse(s[..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) return false;
        decimal? unit = s[i..].Trim().ToUpperInvariant() switch
        {
            "" or "B" => 1m,
            "K" or "KB" => 1e3m, "M" or "MB" => 1e6m, "G" or "GB" => 1e9m, "T" or "TB" => 1e12m,
            "KIB" => 1m * (1L << 10), "MIB" => 1m * (1L << 20), "GIB" => 1m * (1L << 30), "TIB" => 1m * (1L << 40),
            _ => null,
        };
        if (unit is null) return false;
        var value = number * unit.Value;
        if (value < 1 || value > long.MaxValue) return false;
        bytes = (long)value;
        return true;
    }
}
