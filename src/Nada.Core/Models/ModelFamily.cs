using System.Text.Json.Serialization;

namespace Nada.Core.Models;

/// <summary>The network family a registry entry belongs to (decides which loader reads it).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ModelFamily>))]
public enum ModelFamily
{
    [JsonStringEnumMemberName("StyleGAN2")] StyleGAN2,
    [JsonStringEnumMemberName("StyleGAN2-ADA")] StyleGAN2Ada,
    [JsonStringEnumMemberName("StyleGAN3")] StyleGAN3,
    [JsonStringEnumMemberName("CLIP")] Clip,
}
