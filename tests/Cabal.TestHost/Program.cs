// Workloads run in a child process by the integration tests.
//   append-loop DIR   appends forever with several appends in flight, printing "durable N"
//                     once the append of block N has completed (its task finished).
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
            inFlight.Add(feed.AppendAsync(Encoding.UTF8.GetBytes($"block {n++} " + new string('x', n % 300))));
        var done = await Task.WhenAny(inFlight);
        inFlight.Remove(done);
        Console.WriteLine($"durable {await done}");
    }
}

Console.Error.WriteLine("usage: Cabal.TestHost append-loop DIR");
return 64;
