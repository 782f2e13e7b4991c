using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Nada.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class CompactDomains : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Kind",
                table: "Domains",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValueSql: "'Full'");

            migrationBuilder.AddColumn<string>(
                name: "RecipeJson",
                table: "Domains",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ScoresJson",
                table: "Domains",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "SizeBytes",
                table: "Domains",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Kind",
                table: "Domains");

            migrationBuilder.DropColumn(
                name: "RecipeJson",
                table: "Domains");

            migrationBuilder.DropColumn(
                name: "ScoresJson",
                table: "Domains");

            migrationBuilder.DropColumn(
                name: "SizeBytes",
                table: "Domains");
        }
    }
}
