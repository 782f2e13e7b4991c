using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nada.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class JobPlatform : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "GpuSeconds",
                table: "Jobs",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<long>(
                name: "LeaseUntil",
                table: "Jobs",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Priority",
                table: "Jobs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "ServerId",
                table: "Jobs",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "StepsDone",
                table: "Jobs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "TotalSteps",
                table: "Jobs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "RoleQuotas",
                columns: table => new
                {
                    Role = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    MaxQueued = table.Column<int>(type: "integer", nullable: true),
                    MaxRunning = table.Column<int>(type: "integer", nullable: true),
                    GpuMinutesPerDay = table.Column<double>(type: "double precision", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RoleQuotas", x => x.Role);
                });

            migrationBuilder.CreateTable(
                name: "Usage",
                columns: table => new
                {
                    UserId = table.Column<string>(type: "text", nullable: false),
                    Day = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    GpuSeconds = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Usage", x => new { x.UserId, x.Day });
                });

            migrationBuilder.CreateIndex(
                name: "IX_Jobs_Status",
                table: "Jobs",
                column: "Status");

            // Jobs made before: their step count from their stored spec (iterations; an edit from a photo adds its inversion).
            migrationBuilder.Sql("""
                UPDATE "Jobs" SET "TotalSteps" = COALESCE(("SpecJson"::jsonb ->> 'Iterations')::int, 0) WHERE "Kind" = 'Adaptation';
                UPDATE "Jobs" SET "TotalSteps" = COALESCE(("SpecJson"::jsonb ->> 'Steps')::int, 0)
                    + CASE WHEN "Kind" = 'LatentEdit' AND ("SpecJson"::jsonb ->> 'Source') = '2'
                           THEN COALESCE(("SpecJson"::jsonb ->> 'InversionSteps')::int, 0) ELSE 0 END
                    WHERE "Kind" <> 'Adaptation';
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RoleQuotas");

            migrationBuilder.DropTable(
                name: "Usage");

            migrationBuilder.DropIndex(
                name: "IX_Jobs_Status",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "GpuSeconds",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "LeaseUntil",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "Priority",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "ServerId",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "StepsDone",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "TotalSteps",
                table: "Jobs");
        }
    }
}
