namespace Cabal.Chat.Messages;

/// <summary>The <c>type</c> strings of cabal-core 16 (spec §4.4).</summary>
public static class MessageTypes
{
    public const string ChatPrefix = "chat/";
    public const string Text = "chat/text";
    public const string Emote = "chat/emote";
    public const string Topic = "chat/topic";
    public const string About = "about";
    public const string Join = "channel/join";
    public const string Leave = "channel/leave";
    public const string Archive = "channel/archive";
    public const string Unarchive = "channel/unarchive";
    public const string FlagsAdd = "flags/add";
    public const string FlagsRemove = "flags/remove";
    public const string FlagsSet = "flags/set";
    public const string Encrypted = "encrypted";

    /// <summary>The cabal-wide moderation group (content.channel of flags/* when not per channel).</summary>
    public const string CabalWideGroup = "@";

    public const string DefaultChannel = "default";
}
