namespace Cabal.Chat;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("cabal: the terminal client is not built yet. It will open the cabal given (or your last one) in a Terminal.Gui window.");
        return 0;
    }
}
