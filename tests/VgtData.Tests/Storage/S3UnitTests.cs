using VgtData.Storage;

namespace VgtData.Tests.Storage;

/// <summary>Addresses and ceph_config parsing, no server needed.</summary>
public sealed class S3UnitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vgtdata-s3-unit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("s3://bucket/a/b", null, "bucket", "a/b")]
    [InlineData("s3://bucket", null, "bucket", "")]
    [InlineData("cluster1:s3://bkt/pre/", "cluster1", "bkt", "pre/")]
    public void AddressesParse(string text, string? cluster, string bucket, string key)
    {
        Assert.True(S3Location.IsUrl(text));
        var l = S3Location.Parse(text);
        Assert.Equal((cluster, bucket, key), (l.Cluster, l.Bucket, l.Key));
        Assert.Equal(text, l.ToString());
    }

    [Theory]
    [InlineData("/data/s3://x")]
    [InlineData("relative/path")]
    [InlineData("a b:s3://x")]
    public void LocalPathsAreNotAddresses(string text) => Assert.False(S3Location.IsUrl(text));

    [Fact]
    public void AppendJoinsWithOneSlash()
    {
        Assert.Equal("s3://b/p/images/1.png", S3Location.Parse("s3://b/p").Append("images/1.png").ToString());
        Assert.Equal("s3://b/p/images/1.png", S3Location.Parse("s3://b/p/").Append("./images/1.png").ToString());
        Assert.Equal("s3://b/1.png", S3Location.Parse("s3://b").Append("1.png").ToString());
    }

    private string Ini(string text)
    {
        var path = Path.Combine(_dir, "petreloss.conf");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void PetrelConfigReadsTheDefaultClusterAndInheritsDefaults()
    {
        var path = Ini("""
            # comment
            [DEFAULT]
            default_cluster = c1
            region = eu-central-1

            [c1]
            access_key = AK
            secret_key = SK
            host_base = http://10.1.2.3:7480

            [c2]
            access_key = AK2
            secret_key = SK2
            host_base = storage.example.org
            path_style = false
            max_attempts = 3
            max_retry_s = 45
            max_list_pages = 7
            """);
        var s = S3Settings.FromPetrelConfig(path);
        Assert.Equal(("AK", "SK", "eu-central-1"), (s.AccessKey, s.SecretKey, s.Region));
        Assert.Equal(new Uri("http://10.1.2.3:7480"), s.Endpoint);
        Assert.True(s.UsePathStyle); // a literal IP
        Assert.Equal((TimeSpan.FromSeconds(60), 100_000), (s.MaxRetryTime, s.MaxListPages));
        var c2 = S3Settings.FromPetrelConfig(path, "c2");
        Assert.Equal(new Uri("http://storage.example.org"), c2.Endpoint);
        Assert.False(c2.UsePathStyle);
        Assert.Equal(3, c2.MaxAttempts);
        Assert.Equal((TimeSpan.FromSeconds(45), 7), (c2.MaxRetryTime, c2.MaxListPages));
        Assert.Contains("[c2]", c2.Origin);
    }

    [Fact]
    public void PetrelConfigErrorsNameFileSectionAndKey()
    {
        var path = Ini("[DEFAULT]\ndefault_cluster = c1\n[c1]\naccess_key = AK\nhost_base = http://127.0.0.1:1\n");
        var e = Assert.Throws<VgtDataException>(() => S3Settings.FromPetrelConfig(path));
        Assert.Equal($"ceph_config {path}: [c1] has no secret_key", e.Message);
        e = Assert.Throws<VgtDataException>(() => S3Settings.FromPetrelConfig(path, "nope"));
        Assert.Contains("no [nope] section (found: c1)", e.Message);
        var zero = Ini("[c1]\naccess_key = AK\nsecret_key = SK\nhost_base = http://127.0.0.1:1\nmax_retry_s = 0\n");
        e = Assert.Throws<VgtDataException>(() => S3Settings.FromPetrelConfig(zero));
        Assert.Equal($"ceph_config {zero} [c1]: max_retry_s = '0' is not an integer >= 1", e.Message);
        e = Assert.Throws<VgtDataException>(() => S3Settings.FromPetrelConfig(Path.Combine(_dir, "absent.conf")));
        Assert.Contains("no such file", e.Message);
    }

    [Fact]
    public void EnvironmentNeedsBothKeysAndForcesPathStyleOnLoopback()
    {
        Assert.Null(S3Settings.FromEnvironment(k => k == "AWS_ACCESS_KEY_ID" ? "a" : null));
        var env = new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = "a", ["AWS_SECRET_ACCESS_KEY"] = "b", ["AWS_ENDPOINT_URL"] = "http://localhost:9000" };
        var s = S3Settings.FromEnvironment(k => env.GetValueOrDefault(k))!;
        Assert.True(s.UsePathStyle);
        Assert.Equal("us-east-1", s.Region);
    }
}
