namespace Cabal.Chat.Moderation;

/// <summary>
/// The moderation flags cabal-core 16 gives a meaning to (spec §4.7). A flags/* entry may carry any
/// strings; these are the ones the authority rules, the views and the clients act on.
/// </summary>
public static class ModerationFlags
{
    /// <summary>May change anyone's flags in the group (cabal-wide in "@").</summary>
    public const string Admin = "admin";

    /// <summary>May change the flags of users who are neither mod nor admin.</summary>
    public const string Mod = "mod";

    /// <summary>The user's messages are left out of what this user sees.</summary>
    public const string Hide = "hide";

    /// <summary>Stored and listed; hidden too unless <c>CabalOptions.HideBlockedUsers</c> is off (cabal-cli 15 ignores it).</summary>
    public const string Block = "block";

    /// <summary>Stored and listed; no client acts on it yet.</summary>
    public const string Mute = "mute";
}
