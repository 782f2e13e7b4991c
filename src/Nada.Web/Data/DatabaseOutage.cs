using System.Data.Common;
using System.Net.Sockets;

namespace Nada.Web.Data;

/// <summary>
/// Tells an unreachable database (PostgreSQL stopped, restarting or cut off; connections refused, reset or timed out)
/// from other errors, so that requests can say "unavailable for a moment" and jobs can keep their outcome for later.
/// </summary>
public static class DatabaseOutage
{
    /// <summary>True when <paramref name="e"/> or an exception inside it says the database cannot be reached now.</summary>
    public static bool IsOutage(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case Npgsql.PostgresException pg:
                    // 08: connection exceptions; 57P01-57P03: the server is shutting down or starting up.
                    if (pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState is "57P01" or "57P02" or "57P03") return true;
                    break;
                case Npgsql.NpgsqlException npgsql when npgsql.IsTransient:
                case SocketException:
                case TimeoutException:
                    return true;
                case DbException db when db.IsTransient:
                    return true;
            }
            if (x is AggregateException agg && agg.InnerExceptions.Any(IsOutage)) return true;
        }
        return false;
    }
}
