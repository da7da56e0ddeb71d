print("hello from the runtime")
