namespace Nada.Web.Edits;

/// <summary>Registers the editing side of the app (the engines are registered with the adaptation engine).</summary>
public static class EditingServices
{
    public static IServiceCollection AddEditing(this IServiceCollection services)
    {
        services.AddSingleton<EditResults>();
        services.AddScoped<EditService>();
        return services;
    }
}
