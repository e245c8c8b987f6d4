using System.Net;
using System.Net.Sockets;

namespace VgtData.Tests.Storage;

/// <summary>
/// A loopback HTTP proxy in front of the test server that answers chosen requests with an S3 error of its own — e.g.
/// 404 NoSuchUpload for one multipart upload id, as S3 does once an upload was aborted or expired (s3rver itself
/// accepts parts for any id). Everything else is forwarded.
/// </summary>
internal sealed class RefusingS3Proxy : IDisposable
{
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase)
        { "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length", "Expect", "Proxy-Connection" };

    private readonly HttpListener _listener = new();
    private readonly HttpClient _client = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });
    private readonly Uri _target;
    private readonly Task _loop;

    private readonly Func<HttpListenerRequest, (int Status, string Code)?> _refuse;

    /// <param name="target">the server requests are forwarded to.</param>
    /// <param name="refuse">the status and S3 error code to answer a request with instead, or null to forward it.</param>
    public RefusingS3Proxy(Uri target, Func<HttpListenerRequest, (int Status, string Code)?> refuse)
    {
        _target = target;
        _refuse = refuse;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Endpoint.ToString());
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public Uri Endpoint { get; }

    /// <summary>Requests refused so far.</summary>
    public int Refused;

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            if (_refuse(request) is var (status, code))
            {
                Interlocked.Increment(ref Refused);
                await request.InputStream.CopyToAsync(Stream.Null);
                response.StatusCode = status;
                response.ContentType = "application/xml";
                var body = System.Text.Encoding.UTF8.GetBytes(
                    $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>refused by the test proxy</Message></Error>");
                response.ContentLength64 = body.Length;
                await response.OutputStream.WriteAsync(body);
                return;
            }
            using var forward = new HttpRequestMessage(new HttpMethod(request.HttpMethod), new Uri(_target, request.RawUrl));
            var content = new MemoryStream();
            await request.InputStream.CopyToAsync(content);
            content.Position = 0;
            forward.Content = new StreamContent(content);
            foreach (string name in request.Headers)
            {
                if (HopHeaders.Contains(name)) continue;
                var value = request.Headers[name]!;
                if (!forward.Headers.TryAddWithoutValidation(name, value)) forward.Content.Headers.TryAddWithoutValidation(name, value);
            }
            using var answer = await _client.SendAsync(forward, HttpCompletionOption.ResponseContentRead);
            var bytes = await answer.Content.ReadAsByteArrayAsync();
            response.StatusCode = (int)answer.StatusCode;
            foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
            {
                if (HopHeaders.Contains(name)) continue;
                response.Headers[name] = string.Join(",", values);
            }
            response.ContentLength64 = bytes.Length;
            await response.OutputStream.WriteAsync(bytes);
        }
        catch (Exception e) when (e is HttpListenerException or HttpRequestException or IOException or ObjectDisposedException)
        {
            response.StatusCode = 502;
        }
        finally
        {
            try { response.Close(); } catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { }
        }
    }

    public void Dispose()
    {
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _client.Dispose();
    }
}
