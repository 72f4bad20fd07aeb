using Cabal.Chat.Cli;

namespace Cabal.Chat;

public static class Program
{
    public static Task<int> Main(string[] args) => CliApp.RunAsync(args);
}
