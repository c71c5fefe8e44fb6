# Sandbox providers (issue 19.3): the badge, the clock and its form.
sandbox-badge = sandbox
sandbox-clock = The provider's test clock shows { $when }; everything of this client happens at that time.
sandbox-move-to = Move the clock to
sandbox-move-button = Move the clock
done-clock = The clock moved; the provider's billing days up to it have run.
