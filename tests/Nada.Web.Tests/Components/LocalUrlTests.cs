using Nada.Web.Components.Shared;
using Nada.Web.Security;

namespace Nada.Web.Tests.Components;

/// <summary>Small security helpers: no open redirect through returnUrl; share token shape.</summary>
public sealed class LocalUrlTests
{
    [Theory]
    [InlineData("/jobs/1", "/jobs/1")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("//evil.example/x", "/")]
    [InlineData("/\\evil.example", "/")]
    [InlineData("", "/")]
    [InlineData(null, "/")]
    public void ReturnUrl_StaysOnTheSite(string? url, string expected) => Assert.Equal(expected, LocalUrl.OrHome(url));

    [Fact]
    public void ShareTokens_Are43Base64UrlCharacters_AndDiffer()
    {
        var a = ShareTokens.New();
        var b = ShareTokens.New();
        Assert.True(ShareTokens.LooksValid(a));
        Assert.NotEqual(a, b);
        Assert.False(ShareTokens.LooksValid(a[..42]));
        Assert.False(ShareTokens.LooksValid(a[..42] + "/"));
        Assert.False(ShareTokens.LooksValid(null));
    }
}
