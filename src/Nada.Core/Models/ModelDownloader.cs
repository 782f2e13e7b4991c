using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace Nada.Core.Models;

/// <summary>
/// Downloads one file over HTTP into <c>&lt;name&gt;.part</c>, resumes it with a Range request after a cut,
/// retries transient failures with exponential back-off, checks size and SHA-256, and only then renames it
/// to its final name. A final file therefore always holds complete, checked bytes.
/// </summary>
public sealed class ModelDownloader
{
    private readonly HttpClient _http;
    private readonly DownloadOptions _options;

    public ModelDownloader(HttpClient http, DownloadOptions? options = null)
    {
        _http = http;
        _options = options ?? new DownloadOptions();
    }

    /// <summary>Path of the partial file used while downloading to <paramref name="destinationPath"/>.</summary>
    public static string PartPath(string destinationPath) => destinationPath + ".part";

    /// <summary>
    /// Fetches the file from the first URL that works. Throws <see cref="ModelNotFoundOnServerException"/>,
    /// <see cref="ModelUnreachableException"/>, <see cref="ModelHashMismatchException"/> or
    /// <see cref="ModelStoreException"/> with a message naming the URL and the path for a manual copy.
    /// </summary>
    public async Task<DownloadedFile> DownloadAsync(DownloadRequest request, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(request.DestinationPath))!);
        var failures = new List<(string Url, ModelStoreException Error)>();
        for (int i = 0; i < request.Urls.Count; i++)
        {
            string url = request.Urls[i];
            if (i > 0) DeleteIfExists(PartPath(request.DestinationPath)); // never splice bytes of two sources
            try
            {
                long length = await DownloadFromUrlAsync(request, url, progress, ct);
                return Finish(request, url, length, progress, ct);
            }
            catch (ModelStoreException ex) when (ex is not ModelHashMismatchException)
            {
                failures.Add((url, ex)); // missing, unreachable or refused here: try the next source
            }
        }
        throw Combine(request, failures);
    }

    /// <summary>Downloads from one URL into the .part file, with retries; returns the byte count.</summary>
    private async Task<long> DownloadFromUrlAsync(DownloadRequest request, string url, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        Exception? last = null;
        for (int attempt = 1; attempt <= _options.MaxAttempts; attempt++)
        {
            if (attempt > 1)
            {
                var delay = _options.RetryDelay(attempt);
                progress?.Report(new DownloadProgress(request.ModelId, DownloadPhase.Retrying, PartLength(request), request.ExpectedSize,
                    0, null, url, $"attempt {attempt - 1} of {_options.MaxAttempts} failed ({last!.Message}); retrying in {delay.TotalSeconds:0.##} s"));
                await Task.Delay(delay, ct);
            }
            try
            {
                return await AttemptAsync(request, url, progress, ct);
            }
            catch (TransientDownloadException ex) { last = ex; }
            catch (HttpRequestException ex) when (!ct.IsCancellationRequested) { last = ex; }
            catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
            {
                last = new TransientDownloadException($"no data for {_options.StallTimeout.TotalSeconds:0.##} s", ex);
            }
        }
        string reason = Describe(last!);
        throw new ModelUnreachableException(
            $"model '{request.ModelId}': could not download {url} after {_options.MaxAttempts} attempt(s) ({reason}). "
            + ManualHint(request), [url], request.DestinationPath, last);
    }

    /// <summary>One HTTP request: resumes from the .part length when the server honours Range.</summary>
    private async Task<long> AttemptAsync(DownloadRequest request, string url, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        string part = PartPath(request.DestinationPath);
        long existing = File.Exists(part) ? new FileInfo(part).Length : 0;
        if (request.ExpectedSize is { } size && existing > size)
        {
            DeleteIfExists(part);
            existing = 0;
        }
        if (request.ExpectedSize is { } complete && existing == complete)
            return existing; // a previous attempt received every byte; only verification is left

        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stall.CancelAfter(_options.StallTimeout);
        using var message = new HttpRequestMessage(HttpMethod.Get, url);
        if (existing > 0) message.Headers.Range = new RangeHeaderValue(existing, null);
        progress?.Report(new DownloadProgress(request.ModelId, DownloadPhase.Connecting, existing, request.ExpectedSize, 0, null, url,
            existing > 0 ? $"resuming at byte {existing}" : null));

        using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, stall.Token);
        var status = response.StatusCode;
        if (status is HttpStatusCode.NotFound or HttpStatusCode.Gone)
            throw new ModelNotFoundOnServerException(
                $"model '{request.ModelId}': {url} answered {(int)status} {response.ReasonPhrase}; the file is not at that address. "
                + ManualHint(request), [url], request.DestinationPath);
        if (status == HttpStatusCode.RequestedRangeNotSatisfiable && existing > 0)
        {
            DeleteIfExists(part);
            throw new TransientDownloadException($"server refused to resume at byte {existing}; starting again from zero");
        }
        if (!response.IsSuccessStatusCode)
        {
            string what = $"{url} answered {(int)status} {response.ReasonPhrase}";
            if ((int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
                throw new TransientDownloadException(what);
            throw new ModelStoreException($"model '{request.ModelId}': {what}. " + ManualHint(request));
        }

        long offset = 0;
        long? total = response.Content.Headers.ContentLength;
        if (status == HttpStatusCode.PartialContent)
        {
            var range = response.Content.Headers.ContentRange;
            if (existing == 0 || range is null || !range.HasRange || range.Unit != "bytes" || range.From != existing
                || (range.Length is { } len && range.To is { } to && to != len - 1))
            {
                DeleteIfExists(part);
                throw new TransientDownloadException(
                    $"server answered 206 with Content-Range '{range}' for a request from byte {existing}; starting again from zero");
            }
            offset = existing;
            total = range.Length;
        }
        if (request.ExpectedSize is { } expected && total is { } announced && announced != expected)
        {
            DeleteIfExists(part);
            throw new ModelHashMismatchException(
                $"model '{request.ModelId}': {url} serves {announced} bytes but the registry expects {expected}; nothing was kept. "
                + ManualHint(request), expected.ToString(), announced.ToString());
        }
        total ??= request.ExpectedSize;

        await using (var file = new FileStream(part, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None, _options.BufferSize))
        {
            file.SetLength(offset); // 200 after a cut: drop what we had; 206: keep exactly the resumed prefix
            file.Seek(offset, SeekOrigin.Begin);
            await using var body = await response.Content.ReadAsStreamAsync(stall.Token);
            await CopyAsync(request, url, body, file, offset, total, stall, progress, ct);
        }

        long length = new FileInfo(part).Length;
        if (total is { } whole && length != whole)
            throw new TransientDownloadException($"transfer ended early at byte {length} of {whole}");
        return length;
    }

    private async Task CopyAsync(DownloadRequest request, string url, Stream body, FileStream file, long offset, long? total,
        CancellationTokenSource stall, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        byte[] buffer = new byte[_options.BufferSize];
        var clock = Stopwatch.StartNew();
        TimeSpan? lastReport = null;
        long received = 0;
        while (true)
        {
            stall.CancelAfter(_options.StallTimeout);
            int read;
            try
            {
                read = await body.ReadAsync(buffer, stall.Token);
            }
            catch (IOException ex) when (!ct.IsCancellationRequested)
            {
                // The connection broke mid-body; what was written so far stays in .part for a resume.
                throw new TransientDownloadException($"transfer cut at byte {offset + received}: {ex.Message}", ex);
            }
            if (read == 0) break;
            await file.WriteAsync(buffer.AsMemory(0, read), ct);
            received += read;
            if (progress is not null && (lastReport is null || clock.Elapsed - lastReport.Value >= _options.ProgressInterval))
            {
                lastReport = clock.Elapsed;
                progress.Report(Downloading(request.ModelId, url, offset + received, total, received, clock.Elapsed));
            }
        }
        await file.FlushAsync(ct);
        progress?.Report(Downloading(request.ModelId, url, offset + received, total, received, clock.Elapsed));
    }

    private static DownloadProgress Downloading(string id, string url, long done, long? total, long received, TimeSpan elapsed)
    {
        double rate = elapsed.TotalSeconds > 0 ? received / elapsed.TotalSeconds : 0;
        TimeSpan? eta = total is { } t && rate > 0 ? TimeSpan.FromSeconds(Math.Max(0, t - done) / rate) : null;
        return new DownloadProgress(id, DownloadPhase.Downloading, done, total, rate, eta, url);
    }

    /// <summary>Checks size and hash of the complete .part file and renames it into place.</summary>
    private DownloadedFile Finish(DownloadRequest request, string url, long length, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        string part = PartPath(request.DestinationPath);
        progress?.Report(new DownloadProgress(request.ModelId, DownloadPhase.Verifying, length, length, 0, null, url));
        if (request.ExpectedSize is { } size && length != size)
        {
            DeleteIfExists(part);
            throw new ModelHashMismatchException(
                $"model '{request.ModelId}': the file downloaded from {url} has {length} bytes but {size} were expected; it was deleted. "
                + ManualHint(request), size.ToString(), length.ToString());
        }
        string actual = Sha256File.Compute(part, ct);
        if (request.ExpectedSha256 is { } expected && !string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
        {
            DeleteIfExists(part);
            throw new ModelHashMismatchException(
                $"model '{request.ModelId}': the file downloaded from {url} has SHA-256 {actual} but {expected} was expected "
                + $"({request.ExpectedSha256Origin ?? "expected hash"}); the download was deleted and nothing was kept",
                expected, actual);
        }
        File.Move(part, request.DestinationPath, overwrite: true);
        progress?.Report(new DownloadProgress(request.ModelId, DownloadPhase.Completed, length, length, 0, TimeSpan.Zero, url));
        return new DownloadedFile(request.DestinationPath, actual, length, url);
    }

    private static ModelStoreException Combine(DownloadRequest request, List<(string Url, ModelStoreException Error)> failures)
    {
        if (failures.Count == 1) return failures[0].Error;
        string list = string.Join("; ", failures.Select(f => f.Error.Message));
        var urls = failures.Select(f => f.Url).ToArray();
        string message = $"model '{request.ModelId}': no source worked: {list}";
        return failures.All(f => f.Error is ModelNotFoundOnServerException)
            ? new ModelNotFoundOnServerException(message, urls, request.DestinationPath)
            : new ModelUnreachableException(message, urls, request.DestinationPath, failures[^1].Error);
    }

    private static string ManualHint(DownloadRequest request) =>
        $"To install it by hand, fetch the file elsewhere and put it at '{Path.GetFullPath(request.DestinationPath)}', "
        + $"then run `nada models verify {request.ModelId}`.";

    private static string Describe(Exception ex) => ex switch
    {
        HttpRequestException { InnerException: { } inner } => inner.Message,
        _ => ex.Message,
    };

    private static long PartLength(DownloadRequest request)
    {
        string part = PartPath(request.DestinationPath);
        return File.Exists(part) ? new FileInfo(part).Length : 0;
    }

    private static void DeleteIfExists(string path)
    {
        if (File.Exists(path)) File.Delete(path);
    }

    /// <summary>A failure worth another attempt (cut transfer, 5xx, bad Content-Range).</summary>
    private sealed class TransientDownloadException(string message, Exception? inner = null) : Exception(message, inner);
}
