namespace Cabal.Multifeed.Sets;

/// <summary>The remote broke the multifeed protocol; its session (and connection) is ended.</summary>
public sealed class MultifeedProtocolException(string message) : Exception(message);
