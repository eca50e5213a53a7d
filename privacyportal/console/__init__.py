"""The staff home: composes what each app's selectors contribute; writes nothing."""
