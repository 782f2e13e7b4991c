using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Nada.Core.Clip;

/// <summary>
/// The text clean-up CLIP's tokenizer applies before byte-pair encoding: a subset of ftfy's
/// <c>fix_text</c>, HTML unescaping (twice), whitespace collapsing and lower-casing.
/// </summary>
/// <remarks>
/// ftfy is a Python library; the subset implemented here is: Unicode NFC normalisation, curly quotes
/// to straight quotes, Latin ligatures (U+FB00..U+FB06) split into letters, full-width ASCII forms
/// (U+FF01..U+FF5E, U+3000) to their ASCII equivalents, CRLF/CR/U+2028/U+2029/U+0085 to "\n", removal of
/// control characters other than tab and newline, and of lone surrogates. Not implemented: mojibake
/// repair (text decoded with the wrong code page), terminal escape removal and the HTML5 entities
/// unknown to <see cref="WebUtility.HtmlDecode(string)"/> (it knows the HTML 4 named entities and all
/// numeric ones; Python's <c>html.unescape</c> also accepts some without a trailing semicolon).
/// </remarks>
public static partial class ClipTextCleaner
{
    /// <summary>Applies the whole clean-up: ftfy subset, HTML unescape twice, whitespace collapse, lower case.</summary>
    public static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fixedText = FixText(text);
        var unescaped = WebUtility.HtmlDecode(WebUtility.HtmlDecode(fixedText)).Trim();
        return CollapseWhitespace(unescaped).ToLowerInvariant();
    }

    /// <summary>Collapses every run of white space to one space and trims both ends.</summary>
    public static string CollapseWhitespace(string text) => WhitespaceRun().Replace(text, " ").Trim();

    /// <summary>The implemented subset of ftfy's <c>fix_text</c> (see the type's remarks).</summary>
    public static string FixText(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
                continue;
            }
            if (char.IsSurrogate(c)) continue;                      // lone surrogate
            if (c == '\r')
            {
                if (i + 1 < text.Length && text[i + 1] == '\n') i++;
                sb.Append('\n');
                continue;
            }
            switch (c)
            {
                case '\u2028' or '\u2029' or '\u0085': sb.Append('\n'); continue;
                case '\u2018' or '\u2019' or '\u201A' or '\u201B' or '\u2032': sb.Append('\''); continue;
                case '\u201C' or '\u201D' or '\u201E' or '\u201F' or '\u2033': sb.Append('"'); continue;
                case '\uFB00': sb.Append("ff"); continue;
                case '\uFB01': sb.Append("fi"); continue;
                case '\uFB02': sb.Append("fl"); continue;
                case '\uFB03': sb.Append("ffi"); continue;
                case '\uFB04': sb.Append("ffl"); continue;
                case '\uFB05' or '\uFB06': sb.Append("st"); continue;
                case '\u3000': sb.Append(' '); continue;
            }
            if (c is >= '\uFF01' and <= '\uFF5E')
            {
                sb.Append((char)(c - 0xFF01 + 0x21));               // full-width ASCII form
                continue;
            }
            if (char.GetUnicodeCategory(c) == UnicodeCategory.Control && c != '\t' && c != '\n') continue;
            sb.Append(c);
        }
        return sb.ToString().Normalize(NormalizationForm.FormC);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRun();
}
