package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.openqa.selenium.By;
import org.openqa.selenium.ElementClickInterceptedException;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page (built on the JavaScript client, /chatmesh.js) in a real headless Chromium against a
 * cluster of three demo node PROCESSES: two users on two nodes chat with timestamps, member list and
 * unread counts; a long URL does not widen the page; a reload resumes with history; a SIGKILL and
 * restart of one user's node mid-conversation recovers without user action; a failed send keeps
 * the text; Send is disabled while the room is unavailable; when its admin node comes back without
 * the old members the removal is shown with a way back; deletion and a refused name are shown; the
 * page works at 420 px. Skipped when Debian's chromium/chromedriver are not installed ({@code
 * .ci/run} installs them) through a class-level condition, so that Surefire counts the tests as
 * skipped with the reason instead of "Tests run: 0". Leaves screenshots in {@code
 * examples/target/screenshots/}.
 */
@Timeout(240)
@ExtendWith(BrowserChatTest.NeedsChromium.class)
class BrowserChatTest {
  private static final File CHROMIUM = new File("/usr/bin/chromium");
  private static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Path SHOTS = Path.of("target", "screenshots");
  private static DemoCluster cluster;
  private final List<WebDriver> browsers = new ArrayList<>();
  /**
   * Selenium warns that it has no DevTools (CDP) support for Debian's newer Chromium; this test does
   * not use CDP. Held here because java.util.logging keeps loggers only weakly.
   */
  private static final java.util.logging.Logger CDP_VERSION_FINDER =
      java.util.logging.Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

  @BeforeAll
  static void startCluster() throws Exception {
    CDP_VERSION_FINDER.setLevel(java.util.logging.Level.SEVERE);
    cluster = DemoCluster.start(3);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private WebDriver browser(int width, int height) {
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER)
        .usingAnyFreePort()
        .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.getPath());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--hide-scrollbars=false", "--window-size=" + Math.max(width, 500) + "," + height);
    if (width < 500) {
      // headless windows are at least 500 px wide: emulate a phone screen for narrower widths
      options.setExperimentalOption("mobileEmulation",
          Map.of("deviceMetrics", Map.of("width", width, "height", height, "pixelRatio", 1.0)));
    }
    WebDriver b = new ChromeDriver(service, options);
    browsers.add(b);
    return b;
  }

  private static WebDriverWait waiting(WebDriver b) {
    return new WebDriverWait(b, WAIT);
  }

  private static void connect(WebDriver b, String node, String user) {
    b.get(cluster.pageUrl(node));
    b.findElement(By.id("name")).sendKeys(user);
    b.findElement(By.id("connect")).click();
    waiting(b).until(ExpectedConditions.textToBe(By.id("status"), "connected to node " + node + " as " + user));
  }

  private static void joinRoom(WebDriver b, String room) {
    click(b, By.cssSelector("#rooms li[data-room='" + room + "'] button.join"));
    waiting(b).until(ExpectedConditions.textToBe(By.id("room-title"), "# " + room));
    waiting(b).until(ExpectedConditions.elementToBeClickable(By.id("send")));
  }

  /** Clicks what {@code by} finds, finding it again while the list is being re-rendered. */
  private static void click(WebDriver b, By by) {
    waiting(b)
        .ignoring(StaleElementReferenceException.class)
        .ignoring(ElementClickInterceptedException.class)
        .until(d -> {
          WebElement e = ExpectedConditions.elementToBeClickable(by).apply(d);
          if (e == null) {
            return false;
          }
          e.click();
          return true;
        });
  }

  private static void say(WebDriver b, String text) {
    waiting(b).until(ExpectedConditions.elementToBeClickable(By.id("send")));
    WebElement input = b.findElement(By.id("text"));
    input.sendKeys(text);
    b.findElement(By.id("send")).click();
    waiting(b).until(d -> d.findElement(By.id("text")).getAttribute("value").isEmpty());
  }

  private static void awaitMessage(WebDriver b, String text) {
    waiting(b).until(ExpectedConditions.presenceOfElementLocated(
        By.xpath("//div[@id='messages']/div[contains(@class,'msg')][.//span[@class='text' and text()='" + text + "']]")));
  }

  /**
   * The messages the page shows, as "seq user: text", read in one script run: the page re-renders
   * its list when history or a reconnect arrives, so reading element by element could meet a stale one.
   */
  @SuppressWarnings("unchecked")
  private static List<String> transcript(WebDriver b) {
    Object lines = ((JavascriptExecutor) b).executeScript(
        "return Array.from(document.querySelectorAll('#messages .msg')).map(m => m.getAttribute('data-seq') + ' '"
            + " + m.querySelector('.user').textContent.trim() + ': ' + m.querySelector('.text').textContent.trim());");
    return new ArrayList<>((List<String>) lines);
  }

  private static long js(WebDriver b, String expression) {
    return ((Number) ((JavascriptExecutor) b).executeScript("return " + expression)).longValue();
  }

  private static void screenshot(WebDriver b, String name) throws Exception {
    Files.createDirectories(SHOTS);
    Files.copy(((ChromeDriver) b).getScreenshotAs(OutputType.FILE).toPath(), SHOTS.resolve(name),
        StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void twoUsersOnTwoNodesThroughReloadNodeRestartAndNarrowScreens() throws Exception {
    WebDriver alice = browser(1100, 700);
    WebDriver bob = browser(1100, 700);
    try {
      connect(alice, "n1", "alice");
      connect(bob, "n2", "bob");

      // both join room-b (admin n2); the member list and the order are shared
      joinRoom(alice, "room-b");
      joinRoom(bob, "room-b");
      waiting(alice).until(ExpectedConditions.textToBe(By.id("members-count"), "2 members"));
      say(alice, "hello from n1");
      say(bob, "hi alice, this is n2");
      say(alice, "ordered?");
      for (WebDriver b : List.of(alice, bob)) {
        awaitMessage(b, "ordered?");
      }
      assertThat(transcript(alice)).hasSize(3).isEqualTo(transcript(bob));
      assertThat(alice.findElement(By.cssSelector("#messages .msg .time")).getText()).matches("\\d{1,2}:\\d{2}.*");
      click(alice, By.id("members-count"));
      assertThat(alice.findElement(By.id("members")).getText()).contains("alice (you)").contains("bob");

      // a 300-character word wraps instead of widening the page; no page scrollbars
      String url = "https://example.com/" + "a".repeat(280);
      say(bob, url);
      awaitMessage(alice, url);
      for (WebDriver b : List.of(alice, bob)) {
        assertThat(js(b, "document.documentElement.scrollWidth")).isLessThanOrEqualTo(js(b, "window.innerWidth"));
        assertThat(js(b, "document.documentElement.scrollHeight")).isLessThanOrEqualTo(js(b, "window.innerHeight"));
        assertThat(js(b, "document.getElementById('messages').scrollWidth"))
            .isLessThanOrEqualTo(js(b, "document.getElementById('messages').clientWidth"));
      }

      click(alice, By.id("members-count")); // closes the member list again
      screenshot(alice, "desktop.png");

      // unread marks: alice looks at room-a while bob talks in room-b
      joinRoom(alice, "room-a");
      say(bob, "are you there?");
      waiting(alice).until(ExpectedConditions.textToBe(By.cssSelector("#rooms li[data-room='room-b'] .unread"), "1"));
      click(alice, By.cssSelector("#rooms li[data-room='room-b'] .name"));
      waiting(alice).until(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector("#rooms li[data-room='room-b'] .unread")));

      // a failed send keeps the typed text and says why
      ((JavascriptExecutor) alice).executeScript("document.getElementById('text').value = 'x'.repeat(5000)");
      alice.findElement(By.id("send")).click();
      waiting(alice).until(ExpectedConditions.attributeToBe(By.id("send-error"), "data-code", "TOO_LARGE"));
      assertThat(alice.findElement(By.id("send-error")).getText()).contains("too long").contains("kept");
      assertThat(js(alice, "document.getElementById('text').value.length")).isEqualTo(5000);
      alice.findElement(By.id("text")).clear();

      // reload: the name is remembered, the rooms are rejoined with their history
      alice.navigate().refresh();
      waiting(alice).until(ExpectedConditions.textToBe(By.id("status"), "connected to node n1 as alice"));
      awaitMessage(alice, "hello from n1");
      awaitMessage(alice, "are you there?");
      waiting(alice).until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#rooms li.joined"), 2));

      // alice's node is killed mid-conversation and comes back: the page reconnects by itself and
      // shows what was said meanwhile, once
      say(alice, "before the crash");
      cluster.kill("n1");
      waiting(alice).until(ExpectedConditions.attributeToBe(By.id("status"), "data-state", "reconnecting"));
      say(bob, "said while n1 was down");
      cluster.restart("n1");
      waiting(alice).until(ExpectedConditions.textToBe(By.id("status"), "connected to node n1 as alice"));
      awaitMessage(alice, "said while n1 was down");
      waiting(alice).until(ExpectedConditions.elementToBeClickable(By.id("send")));
      say(alice, "back again");
      awaitMessage(bob, "back again");
      awaitMessage(alice, "back again");
      List<String> seenByAlice = transcript(alice);
      assertThat(seenByAlice).doesNotHaveDuplicates();
      assertThat(seenByAlice.subList(seenByAlice.size() - 3, seenByAlice.size()))
          .isEqualTo(transcript(bob).subList(transcript(bob).size() - 3, transcript(bob).size()));

      // a room deleted by its admin: the member sees it clearly and can close it
      bob.findElement(By.id("new-room")).sendKeys("doomed");
      bob.findElement(By.id("create")).click();
      waiting(bob).until(ExpectedConditions.textToBe(By.id("room-title"), "# doomed"));
      joinRoom(alice, "doomed");
      click(bob, By.id("delete"));
      waiting(bob).until(ExpectedConditions.alertIsPresent()).accept();
      waiting(alice).until(ExpectedConditions.attributeToBe(By.id("room-banner"), "data-kind", "deleted"));
      assertThat(alice.findElement(By.id("send")).isEnabled()).isFalse();
      click(alice, By.xpath("//div[@id='room-banner']/button[text()='Close']"));
      waiting(alice).until(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector("#rooms li[data-room='doomed']")));

      // a second tab of bob on the same node is welcome (one user, several connections), and a
      // disconnect leaves the form usable again
      WebDriver bobsTab = browser(420, 800);
      bobsTab.get(cluster.pageUrl("n2") + "?autoconnect=0");
      bobsTab.findElement(By.id("name")).sendKeys("bob");
      bobsTab.findElement(By.id("connect")).click();
      waiting(bobsTab).until(ExpectedConditions.textToBe(By.id("status"), "connected to node n2 as bob"));
      bobsTab.findElement(By.id("connect")).click();
      waiting(bobsTab).until(ExpectedConditions.attributeToBe(By.id("status"), "data-state", "idle"));
      assertThat(bobsTab.findElement(By.id("name")).isEnabled()).isTrue();

      // phone width: carol at 420 px joins room-c and sees the long URL wrapped
      WebDriver carol = bobsTab;
      carol.findElement(By.id("name")).clear();
      connect(carol, "n3", "carol");
      joinRoom(carol, "room-b");
      awaitMessage(carol, url);
      click(alice, By.cssSelector("#rooms li[data-room='room-b'] .name"));
      say(carol, "hi from a phone");
      awaitMessage(alice, "hi from a phone");
      assertThat(js(carol, "document.documentElement.scrollWidth")).isLessThanOrEqualTo(420);
      assertThat(js(carol, "document.documentElement.scrollHeight")).isLessThanOrEqualTo(js(carol, "window.innerHeight"));
      assertThat(carol.findElement(By.id("send")).getRect().getX() + carol.findElement(By.id("send")).getRect().getWidth())
          .isLessThanOrEqualTo(420);
      screenshot(carol, "phone-420.png");

      // room-c's admin n3 dies: its members are told and cannot send until it is back
      joinRoom(alice, "room-c");
      cluster.kill("n3");
      waiting(alice).until(ExpectedConditions.attributeToBe(By.id("room-banner"), "data-kind", "unavailable"));
      assertThat(alice.findElement(By.id("send")).isEnabled()).isFalse();

      // n3 comes back without its history (in memory): its old room-c is gone, and it makes a new
      // one. Depending on which news reaches n1 first, alice is told the room was deleted (the
      // restarted node's directory no longer lists it) or that she was removed (the new room-c
      // does not know her); either way she is not left looking joined, as before, and gets back in
      // with one click
      cluster.restart("n3");
      waiting(alice).until(ExpectedConditions.or(
          ExpectedConditions.attributeToBe(By.id("room-banner"), "data-kind", "removed"),
          ExpectedConditions.attributeToBe(By.id("room-banner"), "data-kind", "deleted")));
      assertThat(alice.findElement(By.id("send")).isEnabled()).isFalse();
      click(alice, By.xpath("//div[@id='room-banner']/button[text()='Join again' or text()='Join the new room']"));
      waiting(alice).until(ExpectedConditions.elementToBeClickable(By.id("send")));
      say(alice, "room-c works again");
      awaitMessage(alice, "room-c works again");
    } catch (Exception | AssertionError e) {
      for (int i = 0; i < browsers.size(); i++) {
        screenshot(browsers.get(i), "failure-" + i + ".png"); // what each page showed
      }
      throw e;
    } finally {
      for (WebDriver b : browsers) {
        b.quit();
      }
    }
  }

  /** Skips the class, with the reason in Surefire's report, when Chromium is not installed. */
  static final class NeedsChromium implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      if (CHROMIUM.canExecute() && CHROMEDRIVER.canExecute()) {
        return ConditionEvaluationResult.enabled("chromium and chromedriver are installed");
      }
      String reason = "browser test skipped: install Debian's chromium and chromium-driver"
          + " (apt-get install -y chromium chromium-driver)";
      org.slf4j.LoggerFactory.getLogger(BrowserChatTest.class).warn(reason);
      return ConditionEvaluationResult.disabled(reason);
    }
  }
}
