using System.Text;

namespace Cabal.Perf;

/// <summary>The bytes cabal-core appends for a chat/text message (JSON.stringify → UTF-8).</summary>
internal static class ChatMessages
{
    /// <summary>make-cabal.js's default --base-time.</summary>
    public const long BaseTime = 1_600_000_000_000;

    /// <summary>
    /// Message <paramref name="k"/> of user <paramref name="user"/>. Text and timestamp follow make-cabal.js
    /// (without --nicks), so both stacks load byte-for-byte the same messages: timestamps are unique and
    /// increase 7 ms per message, user by user.
    /// </summary>
    public static byte[] Text(int user, int k, int messagesPerUser)
    {
        var timestamp = BaseTime + ((long)user * (messagesPerUser + 1) + k + 1) * 7;
        // Field order and the absence of spaces match JSON.stringify; the text never needs escaping.
        return Encoding.UTF8.GetBytes(
            $$"""{"type":"chat/text","content":{"channel":"default","text":"message {{k}} from user {{user}}"},"timestamp":{{timestamp}}}""");
    }
}
