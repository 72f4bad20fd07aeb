// Log events of secret-stream: 7400–7449.
using Microsoft.Extensions.Logging;

namespace Cabal.Net.SecretStream;

internal static partial class SecretStreamLog
{
    [LoggerMessage(7400, LogLevel.Debug, "Secret stream started ({Role})")]
    public static partial void Started(ILogger logger, string role);

    [LoggerMessage(7401, LogLevel.Debug, "Secret stream ended: {Reason}")]
    public static partial void Ended(ILogger logger, string reason);

    [LoggerMessage(7402, LogLevel.Warning, "Secret stream failed")]
    public static partial void Failed(ILogger logger, Exception error);
}
