// Workloads run in a child process by the integration tests.
//   append-loop DIR   appends forever with several appends in flight, printing "durable N"
//                     once the append of block N has completed (its task finished). Each block
//                     starts with this process's id. An append refused because another process
//                     wrote to the same store (ConcurrentWriterException, or a write dropped with
//                     it) prints "refused" and the loop carries on.
using System.Text;
using Cabal.Multifeed.Storage;

if (args is ["append-loop", var dir])
{
    await using var store = FeedStore.Open(dir);
    var feed = store.Feeds.FirstOrDefault(f => f.Writable) ?? await store.CreateWritableAsync(name: "local");
    Console.Out.Flush();
    var inFlight = new List<Task<ulong>>();
    var n = 0;
    while (true)
    {
        while (inFlight.Count < 8)
            inFlight.Add(feed.AppendAsync(Encoding.UTF8.GetBytes($"{Environment.ProcessId} block {n++} " + new string('x', n % 300))));
        var done = await Task.WhenAny(inFlight);
        inFlight.Remove(done);
        try { Console.WriteLine($"durable {await done}"); }
        catch (Exception e) when (e is ConcurrentWriterException or StaleWriteException) { Console.WriteLine("refused"); }
    }
}

Console.Error.WriteLine("usage: Cabal.TestHost append-loop DIR");
return 64;
