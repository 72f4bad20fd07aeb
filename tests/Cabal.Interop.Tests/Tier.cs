// Marks every test of this assembly as the integration tier, so the pure tier can run alone:
// dotnet test --filter "Tier!=Integration" (scripts/test.sh --pure).
[assembly: AssemblyTrait("Tier", "Integration")]
