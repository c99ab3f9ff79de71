// One compose stack on one engine: the tests take turns with it.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
