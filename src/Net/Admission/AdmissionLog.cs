// Log events of admission control and the other hostile-peer defences. Event ids 8200–8299
// (docs/logging.md); a connection cut off for abuse logs in its own layer (ConnectionLog 1006,
// MultifeedLog 6201). Refusals are Debug: under a flood there is one per accept, and the counters
// on AdmissionControl say how many; penalties and abuse are Warning, one per offence.
using System.Net;
using Microsoft.Extensions.Logging;

namespace Cabal.Net.Admission;

internal static partial class AdmissionLog
{
    [LoggerMessage(8201, LogLevel.Debug, "Refused a connection from {Address}: {Refusal}")]
    public static partial void Refused(ILogger logger, IPAddress address, AdmissionRefusal refusal);

    [LoggerMessage(8202, LogLevel.Debug, "Closed a pending connection from {Address} to make room for {Newcomer}")]
    public static partial void Evicted(ILogger logger, IPAddress address, IPAddress newcomer);

    [LoggerMessage(8203, LogLevel.Debug, "Closed a pending connection from {Address}: not established before its deadline")]
    public static partial void Expired(ILogger logger, IPAddress address);

    [LoggerMessage(8204, LogLevel.Warning, "Refusing {Address} for {Duration}: {Reason}")]
    public static partial void Penalized(ILogger logger, IPAddress address, TimeSpan duration, string reason);
}
