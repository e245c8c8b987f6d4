using System.Globalization;

namespace VgtData.Storage;

/// <summary>
/// How to reach one S3-compatible endpoint: credentials, endpoint URL, addressing style and the retry policy. Built from a
/// petrel-style <c>ceph_config</c> INI file or from the standard AWS environment variables.
/// </summary>
internal sealed record S3Settings
{
    public required string AccessKey { get; init; }
    public required string SecretKey { get; init; }

    /// <summary>The endpoint (petrel's <c>host_base</c>, AWS_ENDPOINT_URL); null = AWS's own endpoint for <see cref="Region"/>.</summary>
    public Uri? Endpoint { get; init; }

    public string Region { get; init; } = "us-east-1";

    /// <summary>Path-style addressing (endpoint/bucket/key). Null: on for loopback and IP endpoints, off otherwise.</summary>
    public bool? PathStyle { get; init; }

    /// <summary>Tries per request (the first one included) for timeouts, 5xx and connection failures.</summary>
    public int MaxAttempts { get; init; } = 8;

    /// <summary>First retry delay; each later one doubles, up to <see cref="MaxBackoff"/>, with full jitter.</summary>
    public TimeSpan BaseBackoff { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Limit for one request, connect to last byte.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Limit for one request with all its retries: a silent object becomes a bad sample within this time.</summary>
    public TimeSpan MaxRetryTime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Pages one listing may take (1,000 keys each on S3); a server that never ends a listing is refused here.</summary>
    public int MaxListPages { get; init; } = 100_000;

    /// <summary>Where these settings came from, for error messages (e.g. "ceph_config petreloss.conf [cluster1]").</summary>
    public string Origin { get; init; } = "settings";

    /// <summary>Whether requests use path-style addressing (forced for loopback and literal IP endpoints).</summary>
    public bool UsePathStyle => PathStyle ?? (Endpoint is { } e && (e.IsLoopback || e.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6));

    /// <summary>
    /// Reads a petrel-style INI file: <c>[DEFAULT] default_cluster = NAME</c>, then per cluster <c>access_key</c>,
    /// <c>secret_key</c>, <c>host_base</c> and optionally <c>region</c>, <c>path_style</c>, <c>max_attempts</c>,
    /// <c>timeout_s</c>, <c>max_retry_s</c>, <c>max_list_pages</c>. Keys in [DEFAULT] apply to every cluster. <paramref name="cluster"/> overrides default_cluster.
    /// </summary>
    public static S3Settings FromPetrelConfig(string path, string? cluster = null)
    {
        if (!File.Exists(path)) throw new VgtDataException($"ceph_config {path}: no such file");
        var sections = ParseIni(path);
        sections.TryGetValue("DEFAULT", out var defaults);
        defaults ??= new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        cluster ??= defaults.GetValueOrDefault("default_cluster");
        if (cluster is null)
        {
            var named = sections.Keys.Where(k => k != "DEFAULT").ToList();
            if (named.Count != 1)
                throw new VgtDataException($"ceph_config {path}: no default_cluster in [DEFAULT] and {named.Count} cluster sections; name one in the address (cluster:s3://bucket/prefix)");
            cluster = named[0];
        }
        if (!sections.TryGetValue(cluster, out var own))
            throw new VgtDataException($"ceph_config {path}: no [{cluster}] section (found: {string.Join(", ", sections.Keys.Where(k => k != "DEFAULT"))})");
        string? Get(string key) => own.GetValueOrDefault(key) ?? defaults.GetValueOrDefault(key);
        string Need(string key) => Get(key) is { Length: > 0 } v ? v
            : throw new VgtDataException($"ceph_config {path}: [{cluster}] has no {key}");
        var origin = $"ceph_config {path} [{cluster}]";
        var host = Need("host_base");
        if (!host.Contains("://", StringComparison.Ordinal)) host = "http://" + host;
        if (!Uri.TryCreate(host, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw new VgtDataException($"{origin}: host_base '{Get("host_base")}' is not an http(s) URL");
        return new S3Settings
        {
            AccessKey = Need("access_key"),
            SecretKey = Need("secret_key"),
            Endpoint = endpoint,
            Region = Get("region") ?? "us-east-1",
            PathStyle = Get("path_style") is { } ps ? ParseBool(ps, origin, "path_style") : null,
            MaxAttempts = Get("max_attempts") is { } ma ? ParseInt(ma, origin, "max_attempts", 1) : 8,
            Timeout = Get("timeout_s") is { } ts ? TimeSpan.FromSeconds(ParseInt(ts, origin, "timeout_s", 1)) : TimeSpan.FromSeconds(30),
            MaxRetryTime = Get("max_retry_s") is { } mr ? TimeSpan.FromSeconds(ParseInt(mr, origin, "max_retry_s", 1)) : TimeSpan.FromSeconds(60),
            MaxListPages = Get("max_list_pages") is { } mp ? ParseInt(mp, origin, "max_list_pages", 1) : 100_000,
            Origin = origin,
        };
    }

    /// <summary>AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3), AWS_REGION;
    /// null when the two keys are not both set.</summary>
    public static S3Settings? FromEnvironment(Func<string, string?>? getEnv = null)
    {
        getEnv ??= Environment.GetEnvironmentVariable;
        var access = getEnv("AWS_ACCESS_KEY_ID");
        var secret = getEnv("AWS_SECRET_ACCESS_KEY");
        if (string.IsNullOrEmpty(access) || string.IsNullOrEmpty(secret)) return null;
        var url = getEnv("AWS_ENDPOINT_URL_S3") is { Length: > 0 } s3Url ? s3Url : getEnv("AWS_ENDPOINT_URL");
        Uri? endpoint = null;
        if (!string.IsNullOrEmpty(url) && (!Uri.TryCreate(url, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https")))
            throw new VgtDataException($"AWS_ENDPOINT_URL '{url}' is not an http(s) URL");
        return new S3Settings
        {
            AccessKey = access,
            SecretKey = secret,
            Endpoint = endpoint,
            Region = getEnv("AWS_REGION") is { Length: > 0 } r ? r : getEnv("AWS_DEFAULT_REGION") is { Length: > 0 } dr ? dr : "us-east-1",
            Origin = "the AWS environment (AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL)",
        };
    }

    private static Dictionary<string, Dictionary<string, string>> ParseIni(string path)
    {
        var sections = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        Dictionary<string, string>? current = null;
        int lineNumber = 0;
        foreach (var raw in Storage.RegularFile.ReadAllInputText(path, Storage.FileLimit.Config).ReplaceLineEndings("\n").Split('\n'))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            if (line[0] == '[')
            {
                if (!line.EndsWith(']')) throw new VgtDataException($"ceph_config {path}:{lineNumber}: unclosed section header '{line}'");
                var name = line[1..^1].Trim();
                if (!sections.TryGetValue(name, out current))
                    sections[name] = current = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                continue;
            }
            int eq = line.IndexOfAny(['=', ':']);
            if (eq <= 0) throw new VgtDataException($"ceph_config {path}:{lineNumber}: expected 'key = value', got '{line}'");
            if (current is null) throw new VgtDataException($"ceph_config {path}:{lineNumber}: '{line}' is outside any [section]");
            current[line[..eq].Trim()] = line[(eq + 1)..].Trim();
        }
        return sections;
    }

    private static bool ParseBool(string text, string origin, string key) => text.ToLowerInvariant() switch
    {
        "true" or "yes" or "on" or "1" => true,
        "false" or "no" or "off" or "0" => false,
        _ => throw new VgtDataException($"{origin}: {key} = '{text}' is not a boolean (true/false)"),
    };

    private static int ParseInt(string text, string origin, string key, int min) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min ? v
            : throw new VgtDataException($"{origin}: {key} = '{text}' is not an integer >= {min}");
}
