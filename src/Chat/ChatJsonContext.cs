using System.Text.Json.Serialization;

namespace Cabal.Chat;

[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class ChatJsonContext : JsonSerializerContext;
