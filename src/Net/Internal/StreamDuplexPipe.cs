// Adapts a duplex Stream (NetworkStream, SslStream, a hyperswarm secret stream...) to pipes, so the
// connection parses straight out of pooled buffers and gets flush-based backpressure on writes.
using System.IO.Pipelines;

namespace Cabal.Net.Internal;

internal sealed class StreamDuplexPipe : IDuplexPipe, IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;

    public StreamDuplexPipe(Stream stream, bool leaveOpen)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public PipeReader Input { get; }
    public PipeWriter Output { get; }

    public async ValueTask DisposeAsync()
    {
        await Input.CompleteAsync().ConfigureAwait(false);
        await Output.CompleteAsync().ConfigureAwait(false);
        if (!_leaveOpen) await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
