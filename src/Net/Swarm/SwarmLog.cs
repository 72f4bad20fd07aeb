// Log events of the swarm: 7500–7599.
using Microsoft.Extensions.Logging;

namespace Cabal.Net.Swarm;

internal static partial class SwarmLog
{
    [LoggerMessage(7500, LogLevel.Debug, "Joined {Topic} (server {Server}, client {Client})")]
    public static partial void Joined(ILogger logger, Key32 topic, bool server, bool client);

    [LoggerMessage(7501, LogLevel.Debug, "Left {Topic} (unannounce {Unannounce})")]
    public static partial void Left(ILogger logger, Key32 topic, bool unannounce);

    [LoggerMessage(7502, LogLevel.Debug, "Dialling {PublicKey} (attempts so far {Attempts})")]
    public static partial void Dialling(ILogger logger, Key32 publicKey, int attempts);

    [LoggerMessage(7503, LogLevel.Debug, "Duplicate connection with {PublicKey}: kept the {Kept} one")]
    public static partial void Duplicate(ILogger logger, Key32 publicKey, string kept);

    [LoggerMessage(7504, LogLevel.Debug, "Retry of {PublicKey} in {DelayMs} ms (attempts {Attempts})")]
    public static partial void RetryScheduled(ILogger logger, Key32 publicKey, long delayMs, int attempts);

    [LoggerMessage(7505, LogLevel.Debug, "Gave up on {PublicKey} after {Attempts} attempts until it is found again")]
    public static partial void GaveUp(ILogger logger, Key32 publicKey, int attempts);

    [LoggerMessage(7506, LogLevel.Debug, "Refresh of {Topic} was {LateMs} ms late (machine asleep?): put off by the jitter")]
    public static partial void RefreshOverdue(ILogger logger, Key32 topic, long lateMs);

    [LoggerMessage(7507, LogLevel.Debug, "Dial of {PublicKey} failed")]
    public static partial void DialFailed(ILogger logger, Key32 publicKey, Exception error);

    [LoggerMessage(7508, LogLevel.Warning, "A swarm query on {Topic} failed")]
    public static partial void QueryFailed(ILogger logger, Key32 topic, Exception error);

    [LoggerMessage(7509, LogLevel.Warning, "A swarm Connection handler threw")]
    public static partial void HandlerFailed(ILogger logger, Exception error);

    [LoggerMessage(7510, LogLevel.Information, "Swarm connection {Direction} {PublicKey}")]
    public static partial void Connected(ILogger logger, string direction, Key32 publicKey);

    [LoggerMessage(7511, LogLevel.Warning, "Too many peers on {Topic}: {Max} known already, {Dropped} found peers dropped so far")]
    public static partial void TooManyPeers(ILogger logger, Key32 topic, int max, long dropped);

    [LoggerMessage(7512, LogLevel.Debug, "Announced {Topic}")]
    public static partial void Announced(ILogger logger, Key32 topic);
}
