namespace Nada.Web.ModelAdmin;

/// <summary>An uploaded checkpoint was refused; the message says why and nothing was kept.</summary>
public sealed class ModelUploadException(string message, Exception? inner = null) : Exception(message, inner);
