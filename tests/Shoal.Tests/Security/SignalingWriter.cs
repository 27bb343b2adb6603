using System.Text;

namespace Shoal.Tests.Security;

/// <summary>A thread-safe text sink that lets a test wait until some text has been written.</summary>
internal sealed class SignalingWriter : TextWriter
{
    private readonly StringBuilder _text = new();
    private readonly SemaphoreSlim _changed = new(0);

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_text) _text.Append(value);
        _changed.Release();
    }

    public override void Write(string? value)
    {
        lock (_text) _text.Append(value);
        _changed.Release();
    }

    public override string ToString()
    {
        lock (_text) return _text.ToString();
    }

    /// <summary>Waits until the text matches <paramref name="predicate"/>; returns the text.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var text = ToString();
            if (predicate(text)) return text;
            try
            {
                await _changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the expected output did not appear within {timeout.TotalSeconds} s; got:\n{ToString()}");
            }
        }
    }
}
